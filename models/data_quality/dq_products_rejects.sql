{{ crm_rejects('products') }}
