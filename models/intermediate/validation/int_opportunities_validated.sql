{{ crm_validate('opportunities') }}
