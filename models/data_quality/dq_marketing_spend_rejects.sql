{{ crm_rejects('marketing_spend') }}
