// Problems: collects every validation failure of a spec, so that a caller is
// told all of them at once instead of fixing one per round trip.
//
// Each problem names the field or label, the offending value and what is
// accepted. ToStatus() turns the collection into one INVALID_ARGUMENT status
// whose message lists the problems in the order they were found: the first
// kMaxListedProblems that fit in kMaxProblemBytes (as gRPC sends them,
// percent-encoded), then "and N more" (so a
// reply always fits gRPC's default 8 KiB metadata limit), with the whole
// list in the status payload kAllProblemsPayload for the server's log.
//
// A problem identical to one already recorded is kept once. Not
// thread-safe; one instance per render.
#ifndef CAPI_BRIDGE_SERVER_RENDER_PROBLEMS_H_
#define CAPI_BRIDGE_SERVER_RENDER_PROBLEMS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace capi_bridge::render {

inline constexpr size_t kMaxListedProblems = 50;
inline constexpr size_t kMaxProblemBytes = 4000;
inline constexpr char kAllProblemsPayload[] =
    "type.googleapis.com/capi_bridge.AllProblems";

struct Problem {
  std::string field;     // e.g. "labels.auto_healing_enabled (cluster label)"
  std::string value;     // the offending value, already quoted for display
  std::string accepted;  // what would have been accepted
};

class Problems {
 public:
  // `subject` names what was checked in the status message.
  explicit Problems(std::string subject = "the cluster spec")
      : subject_(std::move(subject)) {}

  // Records that `field` had `value`, and what is accepted instead.
  void Add(absl::string_view field, absl::string_view value,
           absl::string_view accepted);
  // Records a problem where no single value is at fault (e.g. a missing
  // field); `value` is shown as "(missing)".
  void Missing(absl::string_view field, absl::string_view accepted);

  bool empty() const { return problems_.empty(); }
  const std::vector<Problem>& list() const { return problems_; }

  // OK when empty, else INVALID_ARGUMENT listing every problem.
  absl::Status ToStatus() const;

 private:
  void Record(Problem problem);

  std::string subject_;
  std::vector<Problem> problems_;
};

// Quotes a value for an error message: printable characters kept, control
// characters escaped, long values cut, so that a message stays one line.
std::string QuoteForMessage(absl::string_view value);

}  // namespace capi_bridge::render

#endif  // CAPI_BRIDGE_SERVER_RENDER_PROBLEMS_H_
