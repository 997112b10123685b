{{ crm_stage('opportunity_line_items') }}
