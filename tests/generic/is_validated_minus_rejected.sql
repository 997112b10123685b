{#
    An accepted-row model keeps exactly the rows of its validated table that have no
    reject_reason: its row count equals the validated rows minus the rejected ones. Returns one
    row with the three counts when it does not.
#}
{% test is_validated_minus_rejected(model, validated) %}

with

counts as (
    select
        (select count(*) from {{ model }}) as accepted_rows,
        (select count(*) from {{ validated }}) as validated_rows,
        (select count(*) from {{ validated }} where reject_reason is not null) as rejected_rows
)

select * from counts
where accepted_rows <> validated_rows - rejected_rows

{% endtest %}
