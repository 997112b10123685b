{{ crm_rejects('leads') }}
