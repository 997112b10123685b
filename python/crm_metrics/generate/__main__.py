from crm_metrics.generate import main

main()
