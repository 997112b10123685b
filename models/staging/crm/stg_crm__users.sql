{{ crm_stage('users') }}
