{{ crm_rejects('subscriptions') }}
