{{ crm_validate('opportunity_line_items') }}
