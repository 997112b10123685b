{{ crm_stage('stages') }}
