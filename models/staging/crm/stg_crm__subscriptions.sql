{{ crm_stage('subscriptions') }}
