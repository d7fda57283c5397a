"""The donors' giving triggers (0021, 0022) lock the donors they update FOR NO KEY UPDATE
instead of FOR UPDATE.

FOR UPDATE also blocks FOR KEY SHARE, the lock PostgreSQL takes on a referenced row when another
transaction's row refers to it: a receipt, a refund or a gift of the same donor, checked when
that transaction commits. A receipts task committing its receipts while a drain posted gifts of
the same donors waited for the drain, and the two could wait for each other (seen in
bench-webhooks as a deadlock at a receipts batch's commit). The triggers update the donors'
giving columns, never their ids, so the weaker lock is the one they need: two of them still
wait for each other, in the same order of ids, and a row that refers to a donor no longer waits
for either.

Frozen, as the other rules migrations are: a tenant schema migrated later must get exactly this
SQL, so a change to these rules is a new migration carrying its own.
"""

from django.db import migrations

# The two functions as 0021 and 0022 left them, with the lock clause to fill in.
FUNCTIONS = """-- The donors' giving columns and fiscal years, computed from their posted gifts for many donors
-- at once. The donors are locked first, in one order, so that two transactions touching the
-- same donors wait for each other rather than deadlock, and the statements after the lock (each
-- with a snapshot of its own) see the gifts the other transaction committed.
CREATE OR REPLACE FUNCTION donations_donors_giving_compute(donors bigint[]) RETURNS void
LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
    start_month integer;
BEGIN
    IF coalesce(cardinality(donors), 0) = 0 THEN
        RETURN;
    END IF;
    PERFORM 1 FROM donors_donor WHERE id = ANY(donors) ORDER BY id LOCK_CLAUSE;
    -- The donor's own trigger would compute the same figures again, one donor at a time.
    PERFORM set_config('donations.giving_computed', 'on', true);
    UPDATE donors_donor d
       SET giving_total = coalesce(given.total, 0), giving_last_on = given.last_on
      FROM (SELECT DISTINCT id FROM unnest(donors) AS touched(id)) AS touched
      LEFT JOIN LATERAL (
            SELECT sum(g.amount) AS total, max(g.received_on) AS last_on
              FROM donations_gift g
             WHERE g.donor_id = touched.id AND g.state = 'posted'
           ) AS given ON true
     WHERE d.id = touched.id;
    PERFORM set_config('donations.giving_computed', 'off', true);
    start_month := coalesce(
        (SELECT fiscal_year_start_month FROM accounting_accountingsettings WHERE id = 1), 1);
    DELETE FROM donations_donorgivingyear WHERE donor_id = ANY(donors);
    INSERT INTO donations_donorgivingyear (donor_id, fiscal_year, total, gift_count, last_gift_on)
    SELECT g.donor_id, donations_fiscal_year_of(g.received_on, start_month),
           sum(g.amount), count(*), max(g.received_on)
      FROM donations_gift g
     WHERE g.donor_id = ANY(donors) AND g.state = 'posted'
     GROUP BY 1, 2;
END
$$;

-- New gifts count when they are posted already: the donors are locked in the order of
-- their ids (as donations_donors_giving_compute locks them, so that the two wait for each
-- other rather than deadlock), then each donor's total, last day and fiscal years grow by the
-- statement's gifts. Read after the lock, the donor's row and years are the latest committed.
CREATE OR REPLACE FUNCTION donations_gifts_inserted_giving() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    start_month integer;
BEGIN
    PERFORM 1 FROM donors_donor
     WHERE id IN (SELECT donor_id FROM new_gifts WHERE state = 'posted')
     ORDER BY id LOCK_CLAUSE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    -- The donor's own trigger would recompute the figures from all its gifts instead.
    PERFORM set_config('donations.giving_computed', 'on', true);
    UPDATE donors_donor d
       SET giving_total = d.giving_total + added.total,
           giving_last_on = greatest(d.giving_last_on, added.last_on)
      FROM (SELECT donor_id, sum(amount) AS total, max(received_on) AS last_on
              FROM new_gifts WHERE state = 'posted' GROUP BY donor_id) AS added
     WHERE d.id = added.donor_id;
    PERFORM set_config('donations.giving_computed', 'off', true);
    start_month := coalesce(
        (SELECT fiscal_year_start_month FROM accounting_accountingsettings WHERE id = 1), 1);
    INSERT INTO donations_donorgivingyear AS y
           (donor_id, fiscal_year, total, gift_count, last_gift_on)
    SELECT donor_id, donations_fiscal_year_of(received_on, start_month),
           sum(amount), count(*), max(received_on)
      FROM new_gifts
     WHERE state = 'posted'
     GROUP BY 1, 2
     ORDER BY 1, 2
    ON CONFLICT (donor_id, fiscal_year)
    DO UPDATE SET total = y.total + excluded.total,
                  gift_count = y.gift_count + excluded.gift_count,
                  last_gift_on = greatest(y.last_gift_on, excluded.last_gift_on);
    RETURN NULL;
END
$$;
"""

FORWARD = FUNCTIONS.replace("LOCK_CLAUSE", "FOR NO KEY UPDATE")
REVERSE = FUNCTIONS.replace("LOCK_CLAUSE", "FOR UPDATE")


class Migration(migrations.Migration):
    dependencies = [("donations", "0022_donor_giving_added_on_insert")]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
