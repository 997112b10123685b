{{ crm_stage('activities') }}
