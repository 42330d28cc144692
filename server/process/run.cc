#include "server/process/run.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

extern char** environ;

namespace capi_bridge::process {
namespace {

class Pipe {
 public:
  Pipe() = default;
  ~Pipe() { CloseBoth(); }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  bool Open() { return pipe2(fds_, O_CLOEXEC) == 0; }
  int read_end() const { return fds_[0]; }
  int write_end() const { return fds_[1]; }
  void CloseRead() { Close(0); }
  void CloseWrite() { Close(1); }
  void CloseBoth() {
    Close(0);
    Close(1);
  }

 private:
  void Close(int i) {
    if (fds_[i] >= 0) close(fds_[i]);
    fds_[i] = -1;
  }
  int fds_[2] = {-1, -1};
};

absl::Status Errno(const char* what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

std::vector<std::string> ChildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& overrides) {
  std::vector<std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    bool replaced = false;
    for (const auto& [name, value] : overrides) {
      if (entry.rfind(name + "=", 0) == 0) replaced = true;
    }
    if (!replaced) env.push_back(std::move(entry));
  }
  for (const auto& [name, value] : overrides) {
    env.push_back(name + "=" + value);
  }
  return env;
}

std::vector<char*> Pointers(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// In the forked child: its own process group (a deadline kills helm and
// whatever helm started), SIGKILL when the bridge dies (a kill -9 of the
// bridge, or of the pod's PID 1, never leaves a helm running on), default
// signal handling, the three pipes on 0/1/2, then exec. Reports exec's
// errno on `report` and exits 127 when exec fails.
[[noreturn]] void ChildExec(const char* program, char* const* argv,
                            char* const* envp, pid_t parent, int in, int out,
                            int err, int report) {
  setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != parent) _exit(127);  // the bridge died before prctl
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) {
    sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0) {
    int e = errno;
    (void)!write(report, &e, sizeof(e));
    _exit(127);
  }
  execve(program, argv, envp);
  int e = errno;
  (void)!write(report, &e, sizeof(e));
  _exit(127);
}

}  // namespace

std::string ResolveProgram(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/local/bin:/usr/bin:/bin";
  size_t begin = 0;
  while (begin <= dirs.size()) {
    size_t end = dirs.find(':', begin);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(begin, end - begin);
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    begin = end + 1;
  }
  return "";
}

absl::StatusOr<ProcessResult> RunProcess(const ProcessRequest& request) {
  if (request.argv.empty()) {
    return absl::InvalidArgumentError("RunProcess: empty argv");
  }
  Pipe in, out, err;
  if (!in.Open() || !out.Open() || !err.Open()) return Errno("pipe2");

  // Resolved before fork: the child may not allocate.
  std::string program = ResolveProgram(request.argv[0]);
  if (program.empty()) {
    return absl::NotFoundError(
        absl::StrCat("program not found: ", request.argv[0]));
  }
  std::vector<std::string> argv = request.argv;
  std::vector<std::string> env = ChildEnvironment(request.env_overrides);
  std::vector<char*> argv_ptrs = Pointers(argv);
  std::vector<char*> env_ptrs = Pointers(env);
  Pipe exec_report;  // CLOEXEC: closed by a successful exec
  if (!exec_report.Open()) return Errno("pipe2");
  const pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    // The child of a multi-threaded parent: async-signal-safe calls only.
    ChildExec(program.c_str(), argv_ptrs.data(), env_ptrs.data(), parent,
              in.read_end(), out.write_end(), err.write_end(),
              exec_report.write_end());
  }
  exec_report.CloseWrite();
  int exec_errno = 0;
  ssize_t got;
  do {
    got = read(exec_report.read_end(), &exec_errno, sizeof(exec_errno));
  } while (got < 0 && errno == EINTR);
  if (got == static_cast<ssize_t>(sizeof(exec_errno))) {
    waitpid(pid, nullptr, 0);
    if (exec_errno == ENOENT) {
      return absl::NotFoundError(
          absl::StrCat("program not found: ", request.argv[0]));
    }
    errno = exec_errno;
    return Errno("execve");
  }
  in.CloseRead();
  out.CloseWrite();
  err.CloseWrite();
  fcntl(in.write_end(), F_SETFL, O_NONBLOCK);

  ProcessResult result;
  size_t written = 0;
  if (request.stdin_data.empty()) in.CloseWrite();
  bool timed_out = false;
  char buffer[16384];
  while (out.read_end() >= 0 || err.read_end() >= 0) {
    pollfd fds[3];
    int n = 0;
    if (in.write_end() >= 0) fds[n++] = {in.write_end(), POLLOUT, 0};
    if (out.read_end() >= 0) fds[n++] = {out.read_end(), POLLIN, 0};
    if (err.read_end() >= 0) fds[n++] = {err.read_end(), POLLIN, 0};
    int timeout_ms = -1;
    if (request.deadline != absl::InfiniteFuture()) {
      absl::Duration left = request.deadline - absl::Now();
      if (left <= absl::ZeroDuration()) {
        timed_out = true;
        break;
      }
      timeout_ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    }
    int ready = poll(fds, n, timeout_ms);
    if (ready < 0) {
      if (errno == EINTR) continue;
      kill(-pid, SIGKILL);
      waitpid(pid, nullptr, 0);
      return Errno("poll");
    }
    for (int i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in.write_end()) {
        ssize_t w = write(in.write_end(), request.stdin_data.data() + written,
                          request.stdin_data.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) written = SIZE_MAX;
        if (written >= request.stdin_data.size()) in.CloseWrite();
        continue;
      }
      ssize_t r = read(fds[i].fd, buffer, sizeof(buffer));
      if (r > 0) {
        (fds[i].fd == out.read_end() ? result.stdout_data : result.stderr_data)
            .append(buffer, static_cast<size_t>(r));
      } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
        if (fds[i].fd == out.read_end()) {
          out.CloseRead();
        } else {
          err.CloseRead();
        }
      }
    }
  }
  in.CloseWrite();
  if (timed_out) kill(-pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Errno("waitpid");
  }
  if (timed_out) {
    return absl::DeadlineExceededError(absl::StrCat(
        request.argv[0], " did not finish before its deadline and was killed"));
  }
  result.exit_code = WIFEXITED(status)     ? WEXITSTATUS(status)
                     : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                           : -1;
  return result;
}

}  // namespace capi_bridge::process
