{{ crm_validate('accounts') }}
