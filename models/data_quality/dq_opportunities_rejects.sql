{{ crm_rejects('opportunities') }}
