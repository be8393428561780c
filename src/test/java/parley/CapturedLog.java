package parley;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.sqlclient.Pool;
import org.slf4j.LoggerFactory;
import parley.config.AppConfig;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * What one class logs while a test runs, at debug level and up; {@link #close} puts its logger back as it was. For
 * tests of what a background task says when its database goes away under it ({@link #closedPool}).
 */
public final class CapturedLog implements AutoCloseable {

  private final List<ILoggingEvent> logged = new CopyOnWriteArrayList<>();
  private final Logger log;
  private final Level levelBefore;
  private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
    @Override
    protected void append(ILoggingEvent event) {
      logged.add(event);
    }
  };

  public CapturedLog(Class<?> of) {
    this(of.getName());
  }

  /** What the logger of that name logs: for a library's class that is not public. */
  public CapturedLog(String logger) {
    log = (Logger) LoggerFactory.getLogger(logger);
    levelBefore = log.getLevel();
    log.setLevel(Level.DEBUG);
    appender.start();
    log.addAppender(appender);
  }

  public List<Level> levels() {
    return logged.stream().map(ILoggingEvent::getLevel).toList();
  }

  public List<String> messages() {
    return logged.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  /** A pool on the test database, already closed: every statement on it fails as on a node shutting down. */
  public static Pool closedPool(Vertx vertx) throws Exception {
    Pool pool = PgBuilder.pool().connectingTo(TestParley.environment().get(AppConfig.DATABASE_URL)).using(vertx).build();
    pool.close().await(30, TimeUnit.SECONDS);
    return pool;
  }

  @Override
  public void close() {
    log.detachAppender(appender);
    log.setLevel(levelBefore);
  }
}
