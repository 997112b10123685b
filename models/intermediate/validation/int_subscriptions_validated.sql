{{ crm_validate('subscriptions') }}
