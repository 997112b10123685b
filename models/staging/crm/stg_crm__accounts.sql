{{ crm_stage('accounts') }}
