-- Monthly MRR bridge: starting MRR, each movement, ending MRR
select
    period_month,
    starting_mrr,
    new_mrr,
    expansion_mrr,
    contraction_mrr,
    churned_mrr,
    reactivation_mrr,
    ending_mrr
from marts.mart_mrr_movements
