{{ crm_stage('marketing_spend') }}
