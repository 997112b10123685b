{{ crm_validate('users') }}
