{{ crm_stage('opportunity_history') }}
