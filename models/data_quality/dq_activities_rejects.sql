{{ crm_rejects('activities') }}
