{{ crm_stage('targets') }}
