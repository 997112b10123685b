{{ crm_rejects('users') }}
