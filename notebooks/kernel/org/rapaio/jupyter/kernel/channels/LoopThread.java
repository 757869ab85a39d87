package org.rapaio.jupyter.kernel.channels;

/**
 * Replaces the kernel's own {@code LoopThread} (rapaio-jupyter-kernel 3.0.1); it is compiled ahead of the
 * kernel jar on the kernel's class path, same name and same members, so the kernel's channels use it.
 *
 * <p>The original starts the thread and only then marks it running, and {@code run} leaves at once when
 * it finds the mark unset. On a busy machine the new thread can get there first: it exits silently,
 * its socket is never read, and the kernel never answers ("Kernel didn't respond in 300 seconds", with
 * nothing in the kernel's log). Here the mark is set before the thread starts.
 */
public final class LoopThread extends Thread {
  private volatile boolean running;
  private final long sleep;
  private final Runnable loopBody;

  public LoopThread(String name, long sleep, Runnable loopBody) {
    super(name);
    this.sleep = sleep;
    this.loopBody = loopBody;
  }

  @Override
  public void run() {
    try {
      while (running) {
        loopBody.run();
        Thread.sleep(sleep);
      }
    } catch (InterruptedException e) {
      running = false;
    }
  }

  @Override
  public synchronized void start() {
    running = true;
    super.start();
  }

  public void shutdown() {
    running = false;
  }
}
