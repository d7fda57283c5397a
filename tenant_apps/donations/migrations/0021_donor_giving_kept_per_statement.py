"""Each donor's giving (0008's total and last day, 0012's fiscal years) recomputed once a
statement for every donor the statement's gifts touched, instead of once a gift.

A statement that writes many gifts (a batch of online gifts posted together, an import posting
its gifts) recomputed a donor, and all of its fiscal years, once for every one of its gifts, in
three statements each. The gifts' triggers are now per statement, and read the rows the
statement changed (transition tables): the donors touched are locked in the order of their
ids, then their totals and their years are computed in one statement each. The donor's own
trigger (0008, 0012) is unchanged for every other update of a donor (a save with stale figures,
a merge, the rebuild command, a change of the fiscal year's start), and steps aside only for
the update made here, which brings the figures it would have computed.

Frozen, as the other rules migrations are: a tenant schema migrated later must get exactly this
SQL, so a change to these rules is a new migration carrying its own.
"""

from django.db import migrations

FORWARD = """-- The donors' giving columns and fiscal years, computed from their posted gifts for many donors
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
    PERFORM 1 FROM donors_donor WHERE id = ANY(donors) ORDER BY id FOR UPDATE;
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

-- Any update of a donor recomputes its figures from its gifts (0008, 0012), except the one
-- donations_donors_giving_compute makes with the figures it computed.
CREATE OR REPLACE FUNCTION donations_donor_giving_compute() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF current_setting('donations.giving_computed', true) = 'on' THEN
        RETURN NEW;
    END IF;
    SELECT COALESCE(sum(g.amount), 0), max(g.received_on)
      INTO NEW.giving_total, NEW.giving_last_on
      FROM donations_gift g
     WHERE g.donor_id = NEW.id AND g.state = 'posted';
    PERFORM donations_donor_giving_years_compute(NEW.id);
    RETURN NEW;
END
$$;

DROP TRIGGER gift_donor_giving_touched ON donations_gift;
DROP FUNCTION donations_gift_donor_giving_touch();

-- New gifts count when they are posted already.
CREATE FUNCTION donations_gifts_inserted_giving() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM donations_donors_giving_compute(
        ARRAY(SELECT donor_id FROM new_gifts WHERE state = 'posted'));
    RETURN NULL;
END
$$;

-- A gift that was or is posted, whose donor, state, amount or day changed: its donor before
-- and after (both when it moved, as a merge moves gifts).
CREATE FUNCTION donations_gifts_updated_giving() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM donations_donors_giving_compute(ARRAY(
        SELECT unnest(ARRAY[o.donor_id, n.donor_id])
          FROM old_gifts o JOIN new_gifts n ON n.id = o.id
         WHERE (o.state = 'posted' OR n.state = 'posted')
           AND (o.donor_id, o.state, o.amount, o.received_on)
               IS DISTINCT FROM (n.donor_id, n.state, n.amount, n.received_on)));
    RETURN NULL;
END
$$;

CREATE FUNCTION donations_gifts_deleted_giving() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    PERFORM donations_donors_giving_compute(
        ARRAY(SELECT donor_id FROM old_gifts WHERE state = 'posted'));
    RETURN NULL;
END
$$;

CREATE TRIGGER gifts_inserted_donor_giving
    AFTER INSERT ON donations_gift REFERENCING NEW TABLE AS new_gifts
    FOR EACH STATEMENT EXECUTE FUNCTION donations_gifts_inserted_giving();
CREATE TRIGGER gifts_updated_donor_giving
    AFTER UPDATE ON donations_gift REFERENCING OLD TABLE AS old_gifts NEW TABLE AS new_gifts
    FOR EACH STATEMENT EXECUTE FUNCTION donations_gifts_updated_giving();
CREATE TRIGGER gifts_deleted_donor_giving
    AFTER DELETE ON donations_gift REFERENCING OLD TABLE AS old_gifts
    FOR EACH STATEMENT EXECUTE FUNCTION donations_gifts_deleted_giving();
"""

REVERSE = """
DROP TRIGGER gifts_deleted_donor_giving ON donations_gift;
DROP TRIGGER gifts_updated_donor_giving ON donations_gift;
DROP TRIGGER gifts_inserted_donor_giving ON donations_gift;
DROP FUNCTION donations_gifts_deleted_giving();
DROP FUNCTION donations_gifts_updated_giving();
DROP FUNCTION donations_gifts_inserted_giving();
DROP FUNCTION donations_donors_giving_compute(bigint[]);

CREATE OR REPLACE FUNCTION donations_donor_giving_compute() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    SELECT COALESCE(sum(g.amount), 0), max(g.received_on)
      INTO NEW.giving_total, NEW.giving_last_on
      FROM donations_gift g
     WHERE g.donor_id = NEW.id AND g.state = 'posted';
    PERFORM donations_donor_giving_years_compute(NEW.id);
    RETURN NEW;
END
$$;

CREATE OR REPLACE FUNCTION donations_gift_donor_giving_touch() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.donor_id = NEW.donor_id AND OLD.state = NEW.state
       AND OLD.amount = NEW.amount AND OLD.received_on = NEW.received_on THEN
        RETURN NULL;  -- nothing that counts changed
    END IF;
    IF TG_OP = 'INSERT' AND NEW.state <> 'posted' THEN
        RETURN NULL;  -- a new draft counts for nothing yet
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE donors_donor SET giving_total = giving_total WHERE id = OLD.donor_id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.donor_id <> OLD.donor_id) THEN
        UPDATE donors_donor SET giving_total = giving_total WHERE id = NEW.donor_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER gift_donor_giving_touched
    AFTER INSERT OR DELETE OR UPDATE OF donor_id, state, amount, received_on ON donations_gift
    FOR EACH ROW EXECUTE FUNCTION donations_gift_donor_giving_touch();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("donations", "0020_gift_tribute_notified"),
    ]

    operations = [migrations.RunSQL(FORWARD, reverse_sql=REVERSE)]
