{{ crm_validate('marketing_spend') }}
