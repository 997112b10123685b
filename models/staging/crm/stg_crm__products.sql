{{ crm_stage('products') }}
