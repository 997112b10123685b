{{ config(post_hook="{{ crm_assert_valid_stages(this) }}") }}

{{ crm_validate('stages') }}
