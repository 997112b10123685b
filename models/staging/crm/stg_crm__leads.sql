{{ crm_stage('leads') }}
