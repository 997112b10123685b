{{ crm_rejects('stages') }}
