{{ crm_rejects('opportunity_history') }}
