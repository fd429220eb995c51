// The bench's open-loop load generator for the latency-at-half-load line (bench/run.ts builds it
// with g++ at the start; without g++ the bench falls back to bench/fixed-rate.ts). One thread, epoll,
// keep-alive HTTP/1.1 connections opened before the clock starts, one request in flight per
// connection. Request i is due at start + i / rate whatever the server does; its latency counts from
// that time to the response's last byte, so a stall shows in the tail instead of lowering the rate
// (no coordinated omission). Why C++: the Node generator's own event loop and GC added tens of ms to
// the p99 of a 50 µs upstream; this one costs a few µs per request and says so (cpuPercent, sendLag).
//
//   fixed-rate <http://host:port/path> <rate per s> <seconds> <connections> ["Name: value"]...
//
// Prints one JSON line: { sent, completed, errors, non2xx, rps, p50, p90, p99, p999, max (ms),
// sendLagP99 (ms from a request's due time to its write, for requests that found a free connection:
// the generator's own lateness), waitedForConnection (requests due while every connection was busy;
// their wait counts in their latency, not in sendLagP99),
// cpuPercent (this process, of one core) }.
//
// FIXED_RATE_TRACE=<file>: also writes one line per completed request there, "due sent done conn
// status" (due, sent and done in ms of CLOCK_MONOTONIC, the clock of Node's process.hrtime and
// performance.now(), so the slow requests can be lined up with a gateway's GC pauses and stalls),
// and every 5 ms a sample of the machine to <file>.samples: "t cpu <n> <user> <system> <idle>
// <steal> …" (jiffies of each CPU from /proc/stat) and, for each pid in FIXED_RATE_WATCH (comma
// separated), "t pid <pid> <run ns> <runqueue wait ns> <minor faults>" of its main thread (from
// /proc/<pid>/task/<pid>/schedstat and stat): whether a stall was the host taking the CPU away
// (steal), the server not being scheduled (wait), or the server working (run).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <string>
#include <vector>

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static double now() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char* what) {
  fprintf(stderr, "fixed-rate: %s: %s\n", what, strerror(errno));
  exit(1);
}

struct Conn {
  int fd = -1;
  bool busy = false;
  double dueAt = 0;        // the in-flight request's scheduled time
  double sentAt = 0;       // when its first byte was written
  size_t written = 0;      // bytes of the request written so far
  std::string in;          // response bytes not consumed yet
};

static addrinfo* target;
static std::string request;
static int ep;

static int openConnection() {
  int fd = socket(target->ai_family, SOCK_STREAM, 0);
  if (fd < 0) die("socket");
  if (connect(fd, target->ai_addr, target->ai_addrlen) != 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  return fd;
}

static void watch(Conn& c, int index, bool wantWrite, int op) {
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | (wantWrite ? (uint32_t)EPOLLOUT : 0u);
  ev.data.u32 = index;
  if (epoll_ctl(ep, op, c.fd, &ev) != 0) die("epoll_ctl");
}

// How many bytes of `in` make up one complete response: 0 while incomplete, -1 if unparseable.
static long responseLength(const std::string& in, int& status) {
  size_t headEnd = in.find("\r\n\r\n");
  if (headEnd == std::string::npos) return 0;
  if (in.compare(0, 5, "HTTP/") != 0 || in.size() < 12) return -1;
  status = atoi(in.c_str() + 9);
  size_t bodyStart = headEnd + 4;
  if (status < 200 && status >= 100) return (long)bodyStart;  // an interim response: consumed alone
  std::string head = in.substr(0, headEnd + 2);
  for (auto& ch : head) ch = (char)tolower((unsigned char)ch);
  size_t cl = head.find("\r\ncontent-length:");
  if (cl != std::string::npos) {
    long len = atol(head.c_str() + cl + 17);
    return in.size() >= bodyStart + (size_t)len ? (long)(bodyStart + len) : 0;
  }
  if (head.find("\r\ntransfer-encoding: chunked") != std::string::npos) {
    size_t pos = bodyStart;
    for (;;) {
      size_t lineEnd = in.find("\r\n", pos);
      if (lineEnd == std::string::npos) return 0;
      long size = strtol(in.c_str() + pos, nullptr, 16);
      if (size == 0) {
        // No trailers expected: the last chunk's line is followed by an empty line.
        size_t end = in.find("\r\n", lineEnd + 2);
        return end == std::string::npos ? 0 : (long)(end + 2);
      }
      pos = lineEnd + 2 + size + 2;
      if (in.size() < pos) return 0;
    }
  }
  if (status == 204 || status == 304) return (long)bodyStart;
  return -1;  // a body delimited by close: not what the bench's servers send
}

int main(int argc, char** argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: fixed-rate <http://host:port/path> <rate> <seconds> <connections> [\"Name: value\"]...\n");
    return 2;
  }
  std::string url = argv[1];
  if (url.compare(0, 7, "http://") != 0) return fprintf(stderr, "fixed-rate: http:// URLs only\n"), 2;
  std::string rest = url.substr(7);
  size_t slash = rest.find('/');
  std::string authority = slash == std::string::npos ? rest : rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  std::string host = colon == std::string::npos ? authority : authority.substr(0, colon);
  std::string port = colon == std::string::npos ? "80" : authority.substr(colon + 1);
  const double rate = atof(argv[2]);
  const double seconds = atof(argv[3]);
  const int connections = std::max(1, atoi(argv[4]));
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  if (getaddrinfo(host.c_str(), port.c_str(), &hints, &target) != 0) return fprintf(stderr, "fixed-rate: cannot resolve %s\n", host.c_str()), 1;

  request = "GET " + path + " HTTP/1.1\r\nHost: " + authority + "\r\n";
  for (int i = 5; i < argc; i++) request += std::string(argv[i]) + "\r\n";
  request += "\r\n";

  ep = epoll_create1(0);
  int timer = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  if (ep < 0 || timer < 0) die("epoll/timerfd");
  epoll_event tev{};
  tev.events = EPOLLIN;
  tev.data.u32 = UINT32_MAX;
  epoll_ctl(ep, EPOLL_CTL_ADD, timer, &tev);

  std::vector<Conn> conns(connections);
  std::vector<int> idle;
  for (int i = 0; i < connections; i++) {
    conns[i].fd = openConnection();
    watch(conns[i], i, false, EPOLL_CTL_ADD);
    idle.push_back(i);
  }

  const long total = std::lround(rate * seconds);
  const char* tracePath = getenv("FIXED_RATE_TRACE");
  struct Traced {
    double due, sent, done;
    int conn, status;
  };
  std::vector<Traced> trace;
  if (tracePath) trace.reserve(total);
  // The machine samples (FIXED_RATE_TRACE): a second timer, every 5 ms.
  std::vector<int> watched;
  if (const char* w = getenv("FIXED_RATE_WATCH"))
    for (const char* p = w; *p;) {
      watched.push_back(atoi(p));
      while (*p && *p != ',') p++;
      if (*p) p++;
    }
  std::string samples;
  int sampler = -1;
  if (tracePath) {
    sampler = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
    itimerspec every{};
    every.it_interval.tv_nsec = every.it_value.tv_nsec = 5 * 1000 * 1000;
    timerfd_settime(sampler, 0, &every, nullptr);
    epoll_event sev{};
    sev.events = EPOLLIN;
    sev.data.u32 = UINT32_MAX - 1;
    epoll_ctl(ep, EPOLL_CTL_ADD, sampler, &sev);
  }
  auto sample = [&]() {
    char line[512], buf[8192], at[32];
    snprintf(at, sizeof at, "%.3f", now() * 1e3);
    if (FILE* f = fopen("/proc/stat", "r")) {
      // "cpuN user nice system idle iowait irq softirq steal"
      while (fgets(line, sizeof line, f) && strncmp(line, "cpu", 3) == 0) {
        if (line[3] == ' ') continue;
        unsigned long long v[8] = {};
        int cpu = -1;
        sscanf(line, "cpu%d %llu %llu %llu %llu %llu %llu %llu %llu", &cpu, &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
        snprintf(buf, sizeof buf, "%s cpu %d %llu %llu %llu %llu\n", at, cpu, v[0] + v[1], v[2] + v[5] + v[6], v[3] + v[4], v[7]);
        samples += buf;
      }
      fclose(f);
    }
    for (int pid : watched) {
      unsigned long long run = 0, wait = 0, minflt = 0;
      snprintf(buf, sizeof buf, "/proc/%d/task/%d/schedstat", pid, pid);
      if (FILE* f = fopen(buf, "r")) {
        if (fscanf(f, "%llu %llu", &run, &wait) != 2) run = wait = 0;
        fclose(f);
      }
      snprintf(buf, sizeof buf, "/proc/%d/stat", pid);
      if (FILE* f = fopen(buf, "r")) {
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        buf[n] = 0;
        fclose(f);
        // Field 10 (minflt) counts from the one after "(comm)".
        char* p = strrchr(buf, ')');
        for (int field = 2; p && field < 10; field++) p = strchr(p + 1, ' ');
        if (p) minflt = strtoull(p + 1, nullptr, 10);
      }
      snprintf(line, sizeof line, "%s pid %d %llu %llu %llu\n", at, pid, run, wait, minflt);
      samples += line;
    }
  };
  std::vector<double> latencies, sendLags;
  latencies.reserve(total);
  sendLags.reserve(total);
  std::deque<double> waiting;  // due times of requests due while no connection was free
  long released = 0, sent = 0, completed = 0, errors = 0, non2xx = 0, waitedForConnection = 0;
  rusage ru0;
  getrusage(RUSAGE_SELF, &ru0);
  const double start = now() + 0.01;
  const double deadline = start + seconds + 10;

  auto finish = [&](Conn& c, bool ok, int status) {
    double t = now();
    latencies.push_back(t - c.dueAt);
    if (tracePath) trace.push_back({c.dueAt, c.sentAt, t, (int)(&c - conns.data()), ok ? status : -1});
    completed++;
    if (!ok) errors++;
    else if (status < 200 || status >= 400) non2xx++;
    c.busy = false;
  };
  auto writeSome = [&](Conn& c, int index) -> bool {
    while (c.written < request.size()) {
      ssize_t n = send(c.fd, request.data() + c.written, request.size() - c.written, MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        watch(c, index, true, EPOLL_CTL_MOD);
        return true;
      }
      if (n <= 0) return false;
      c.written += n;
    }
    return true;
  };
  auto reconnect = [&](int index) {
    Conn& c = conns[index];
    epoll_ctl(ep, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c = Conn{};
    c.fd = openConnection();
    watch(c, index, false, EPOLL_CTL_ADD);
  };
  auto dispatch = [&](int index, double dueAt, bool waited) {
    Conn& c = conns[index];
    c.busy = true;
    c.dueAt = dueAt;
    c.written = 0;
    c.sentAt = now();
    sent++;
    if (!waited) sendLags.push_back(c.sentAt - dueAt);
    if (!writeSome(c, index)) {
      finish(c, false, 0);
      reconnect(index);
      idle.push_back(index);
    }
  };

  epoll_event events[256];
  while (completed < total && now() < deadline) {
    double t = now();
    long due = std::min(total, (long)std::floor((t - start) * rate) + 1);
    if (t < start) due = 0;
    for (; released < due; released++) {
      double dueAt = start + released / rate;
      if (!idle.empty()) {
        int index = idle.back();
        idle.pop_back();
        dispatch(index, dueAt, false);
      } else {
        waitedForConnection++;
        waiting.push_back(dueAt);
      }
    }
    if (released < total) {
      double next = start + released / rate;
      itimerspec its{};
      its.it_value.tv_sec = (time_t)next;
      its.it_value.tv_nsec = (long)((next - (double)(time_t)next) * 1e9);
      if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
      timerfd_settime(timer, TFD_TIMER_ABSTIME, &its, nullptr);
    }
    int n = epoll_wait(ep, events, 256, released < total ? -1 : 100);
    if (n < 0 && errno != EINTR) die("epoll_wait");
    for (int e = 0; e < n; e++) {
      uint32_t index = events[e].data.u32;
      if (index == UINT32_MAX - 1) {
        uint64_t expirations;
        (void)!read(sampler, &expirations, sizeof expirations);
        sample();
        continue;
      }
      if (index == UINT32_MAX) {
        uint64_t expirations;
        (void)!read(timer, &expirations, sizeof expirations);
        continue;
      }
      Conn& c = conns[index];
      if (events[e].events & EPOLLOUT) {
        if (!writeSome(c, index)) {
          finish(c, false, 0);
          reconnect(index);
          idle.push_back(index);
          continue;
        }
        if (c.written == request.size()) watch(c, index, false, EPOLL_CTL_MOD);
      }
      if (events[e].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        char buf[65536];
        bool closed = false;
        for (;;) {
          ssize_t r = recv(c.fd, buf, sizeof buf, 0);
          if (r > 0) {
            c.in.append(buf, r);
            continue;
          }
          if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
          closed = true;
          break;
        }
        for (;;) {
          int status = 0;
          long len = responseLength(c.in, status);
          if (len < 0) {
            closed = true;
            break;
          }
          if (len == 0) break;
          c.in.erase(0, len);
          if (status >= 100 && status < 200) continue;
          if (c.busy) finish(c, true, status);
        }
        if (closed) {
          if (c.busy) finish(c, false, 0);
          reconnect(index);
        }
        if (!c.busy) {
          if (!waiting.empty()) {
            double dueAt = waiting.front();
            waiting.pop_front();
            dispatch(index, dueAt, true);
          } else if (std::find(idle.begin(), idle.end(), (int)index) == idle.end()) {
            idle.push_back(index);
          }
        }
      }
    }
  }
  const double elapsed = now() - start;
  rusage ru1;
  getrusage(RUSAGE_SELF, &ru1);
  auto cpu = [](const rusage& r) { return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6; };
  if (tracePath) {
    FILE* f = fopen(tracePath, "w");
    if (!f) die("FIXED_RATE_TRACE");
    for (const Traced& r : trace) fprintf(f, "%.4f %.4f %.4f %d %d\n", r.due * 1e3, r.sent * 1e3, r.done * 1e3, r.conn, r.status);
    fclose(f);
    std::string samplesPath = std::string(tracePath) + ".samples";
    FILE* g = fopen(samplesPath.c_str(), "w");
    if (!g) die("FIXED_RATE_TRACE samples");
    fwrite(samples.data(), 1, samples.size(), g);
    fclose(g);
  }
  std::sort(latencies.begin(), latencies.end());
  std::sort(sendLags.begin(), sendLags.end());
  auto at = [](const std::vector<double>& xs, double q) {
    return xs.empty() ? NAN : xs[std::min(xs.size() - 1, (size_t)(q * xs.size()))] * 1000;
  };
  // JSON has no NaN: a figure with no samples behind it prints as null.
  auto num = [](double x) {
    char buf[32];
    if (std::isnan(x)) return std::string("null");
    snprintf(buf, sizeof buf, "%.3f", x);
    return std::string(buf);
  };
  printf("{\"sent\":%ld,\"completed\":%ld,\"errors\":%ld,\"non2xx\":%ld,\"rps\":%.1f,\"p50\":%s,\"p90\":%s,\"p99\":%s,\"p999\":%s,"
         "\"max\":%s,\"sendLagP99\":%s,\"waitedForConnection\":%ld,\"cpuPercent\":%.1f}\n",
         sent, completed, errors, non2xx, completed / elapsed, num(at(latencies, 0.5)).c_str(), num(at(latencies, 0.9)).c_str(),
         num(at(latencies, 0.99)).c_str(), num(at(latencies, 0.999)).c_str(), num(latencies.empty() ? NAN : latencies.back() * 1000).c_str(),
         num(at(sendLags, 0.99)).c_str(), waitedForConnection, 100 * (cpu(ru1) - cpu(ru0)) / elapsed);
  return 0;
}
