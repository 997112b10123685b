{{ crm_rejects('targets') }}
