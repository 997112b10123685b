-- Reps by name for every page: the user's full name, with the user id added when two users share
-- the name (a page never shows two reps as one name), the user id when there is no name
select
    user_id,
    case
        when full_name is null then user_id
        when count(*) over (partition by full_name) > 1 then full_name || ' (' || user_id || ')'
        else full_name
    end as rep_name,
    team,
    segment
from core.dim_users
