{{ crm_rejects('exchange_rates') }}
