{{ crm_validate('exchange_rates') }}
