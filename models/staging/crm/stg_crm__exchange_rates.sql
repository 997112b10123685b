{{ crm_stage('exchange_rates') }}
