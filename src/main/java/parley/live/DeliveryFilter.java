package parley.live;

import parley.events.LiveEvent;

/**
 * The one hook every delivery passes through, live and replayed, per reader: whether this reader may see this
 * event now. It is asked at delivery time, not at publish time, so what a reader gets always reflects the rules
 * as they stand when it reaches them.
 */
@FunctionalInterface
public interface DeliveryFilter {

  DeliveryFilter EVERYONE = (reader, event) -> true;

  boolean allows(Reader reader, LiveEvent event);
}
