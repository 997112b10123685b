{{ crm_rejects('accounts') }}
