package parley;

import javax.sql.DataSource;
import java.io.PrintWriter;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.logging.Logger;

/**
 * The tests' JDBC view of their database, with its connections kept for the next use: the tests ask for a
 * connection some thousands of times a run (a snapshot before and after each refused call, a count after each
 * write), and a new one took 22–33 ms here (a backend started for it), against 0.2 ms for a query on a kept one.
 *
 * <p>A connection given back is reset as PgBouncer resets one between clients, {@code DISCARD ALL} after a rollback
 * of anything left open (session settings, advisory locks, temporary tables, listeners, prepared statements), so a
 * test sees what a fresh connection would. One that fails its reset, or is found dead when taken (a test may end
 * backends), is closed and replaced by a new one.
 */
final class KeptConnections implements DataSource {

  /** More kept than any test holds at once; the rest are closed when given back. */
  private static final int KEPT = 8;

  private final DataSource source;
  private final ConcurrentLinkedDeque<Connection> idle = new ConcurrentLinkedDeque<>();

  KeptConnections(DataSource source) {
    this.source = source;
  }

  @Override
  public Connection getConnection() throws SQLException {
    for (Connection kept = idle.pollFirst(); kept != null; kept = idle.pollFirst()) {
      if (kept.isValid(2)) return lent(kept);
      quietly(kept);
    }
    return lent(source.getConnection());
  }

  private Connection lent(Connection physical) {
    InvocationHandler handler = new InvocationHandler() {
      private boolean closed;

      @Override
      public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        switch (method.getName()) {
          case "close" -> {
            if (!closed) {
              closed = true;
              giveBack(physical);
            }
            return null;
          }
          case "isClosed" -> {
            return closed || physical.isClosed();
          }
          case "equals" -> {
            return proxy == args[0];
          }
          case "hashCode" -> {
            return System.identityHashCode(proxy);
          }
          default -> {
            if (closed) throw new SQLException("This connection was closed.");
            try {
              return method.invoke(physical, args);
            } catch (InvocationTargetException e) {
              throw e.getCause();
            }
          }
        }
      }
    };
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        handler);
  }

  private void giveBack(Connection physical) {
    try {
      if (physical.isClosed()) return;
      if (!physical.getAutoCommit()) {
        physical.rollback();
        physical.setAutoCommit(true);
      }
      physical.setReadOnly(false);
      physical.setTransactionIsolation(Connection.TRANSACTION_READ_COMMITTED);
      try (Statement s = physical.createStatement()) {
        s.execute("DISCARD ALL");
      }
      if (idle.size() < KEPT) {
        idle.addFirst(physical);
        return;
      }
    } catch (SQLException | RuntimeException e) {
      // not fit to be lent again: closed below
    }
    quietly(physical);
  }

  private static void quietly(Connection c) {
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      // already gone
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return source.getConnection(username, password);
  }

  @Override
  public PrintWriter getLogWriter() throws SQLException {
    return source.getLogWriter();
  }

  @Override
  public void setLogWriter(PrintWriter out) throws SQLException {
    source.setLogWriter(out);
  }

  @Override
  public void setLoginTimeout(int seconds) throws SQLException {
    source.setLoginTimeout(seconds);
  }

  @Override
  public int getLoginTimeout() throws SQLException {
    return source.getLoginTimeout();
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    return source.getParentLogger();
  }

  @Override
  public <T> T unwrap(Class<T> type) throws SQLException {
    return source.unwrap(type);
  }

  @Override
  public boolean isWrapperFor(Class<?> type) throws SQLException {
    return source.isWrapperFor(type);
  }
}
