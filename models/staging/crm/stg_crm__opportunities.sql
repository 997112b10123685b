{{ crm_stage('opportunities') }}
