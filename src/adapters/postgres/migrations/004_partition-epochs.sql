-- Cluster mode: fencing a late owner. Each tenure of a partition's lease has an epoch (the lease
-- stream's sequence when it was won: it grows with every new holder). A new owner claims its epoch
-- here before it reads the stored state; from then on a commit that records progress for the
-- partition under an older epoch fails as a whole, so an owner whose lease ran out while it was
-- stalled cannot write over what the new owner continues from.

-- Up Migration
ALTER TABLE partition_progress ADD COLUMN epoch bigint NOT NULL DEFAULT 0;

CREATE FUNCTION sw_fence(p integer, held bigint, mine bigint) RETURNS bigint AS $$
BEGIN
  IF held > mine THEN
    RAISE EXCEPTION 'partition % was taken over (epoch % > this instance''s %): this instance no longer owns it', p, held, mine USING ERRCODE = 'SW001';
  END IF;
  RETURN mine;
END
$$ LANGUAGE plpgsql;

-- Down Migration
DROP FUNCTION sw_fence(integer, bigint, bigint);
ALTER TABLE partition_progress DROP COLUMN epoch;
