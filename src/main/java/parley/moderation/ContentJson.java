package parley.moderation;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;

/**
 * How moderation gets a post's or comment's public JSON (exactly as the REST API returns it) for the events of a
 * restore, without importing the feature that owns it: the post and comment features each provide one.
 */
@FunctionalInterface
public interface ContentJson {

  Future<JsonObject> read(SqlClient client, long id);
}
