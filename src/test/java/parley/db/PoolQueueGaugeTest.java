package parley.db;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import parley.TestParley;
import parley.config.AppConfig;

import java.util.EnumSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tripwire for the SQL client's pool gauge (docs/upstream/vertx-sql-pool-queue-gauge.md): in 5.0.7 a request that
 * never got a connection because the database refused it (restarting, down, its connection slots full) stays
 * counted in {@code vertx_pool_queue_pending} for good, so the gauge steps up with every outage and an alert on it
 * never clears. docs/SCALING.md tells operators so. When this fails, the SQL client has its fix (5.0.12 has it): the
 * gauge is worth alerting on again, and both documents should say so.
 */
@ExtendWith(TestParley.class)
class PoolQueueGaugeTest {

  @Test
  void aRequestThatNeverGotAConnectionStaysCountedAsPending() throws Exception {
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    Vertx vertx = Vertx.builder().withMetrics(new MicrometerMetricsFactory(meters))
        .with(new VertxOptions().setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
            .setRegistryName("pool-gauge-probe").setLabels(EnumSet.of(Label.POOL_TYPE, Label.POOL_NAME))))
        .build();
    try {
      // The database refuses connections (as while it restarts), then takes them again.
      PgConnectOptions good = PgConnectOptions.fromUri(TestParley.environment().get(AppConfig.DATABASE_URL));
      PgConnectOptions refused = new PgConnectOptions(good).setDatabase("no_such_database");
      AtomicBoolean up = new AtomicBoolean(false);
      Pool pool = PgBuilder.pool()
          .connectingTo(() -> Future.succeededFuture(up.get() ? good : refused))
          .with(new PoolOptions().setName("probe").setMaxSize(2))
          .using(vertx).build();
      for (int i = 0; i < 3; i++) {
        Throwable cause = pool.query("SELECT 1").execute().map(v -> (Throwable) null).otherwise(e -> e)
            .await(10, TimeUnit.SECONDS);
        assertTrue(cause != null, "the database refuses the connection");
      }
      up.set(true);
      for (int i = 0; i < 5; i++) {
        assertEquals(1, pool.query("SELECT 1").execute().await(10, TimeUnit.SECONDS).size(), "the pool works again");
      }
      assertEquals(3.0, pending(meters), "the three requests that never had a connection are still counted as "
          + "waiting, with nothing waiting: when this is 0, the SQL client's fix has arrived (update SCALING.md and "
          + "docs/upstream/vertx-sql-pool-queue-gauge.md)");
      pool.close().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static double pending(PrometheusMeterRegistry meters) {
    Gauge gauge = meters.find("vertx.pool.queue.pending").tag("pool_name", "probe").gauge();
    assertTrue(gauge != null, meters.scrape());
    return gauge.value();
  }
}
