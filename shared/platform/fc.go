package platform

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Function Compute custom-runtime request headers the server reads.
const (
	HeaderFCRequestID = "x-fc-request-id"
	HeaderFCTimeout   = "x-fc-function-timeout"
	HeaderFCStatus    = "x-fc-status"
)

// FCServer answers Function Compute's custom-runtime protocol: POST /invoke
// carries an event and gets the function's result; POST /initialize runs once
// per instance. Failures answer HTTP 404 with x-fc-status: 404 and an
// {"errorMessage", "errorType"} body, which FC reports as a function error.
type FCServer struct {
	handler Handler
	initErr error
	log     *slog.Logger
	// marks receives the "FC Invoke Start/End RequestId" lines FC uses to
	// split the instance's log into invocations (stdout in production).
	marks io.Writer
	// timeout is FC_TIMEOUT, used when a request lacks x-fc-function-timeout.
	timeout time.Duration
	seq     atomic.Uint64
}

// NewFCServer returns the protocol handler. initErr, when set, is the reason
// the function could not start; every request then fails with it, so FC shows
// the reason instead of restarting a crashing instance over and over.
func NewFCServer(h Handler, initErr error, log *slog.Logger, marks io.Writer, timeout time.Duration) *FCServer {
	return &FCServer{handler: h, initErr: initErr, log: log, marks: marks, timeout: timeout}
}

func (s *FCServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	id := r.Header.Get(HeaderFCRequestID)
	if id == "" {
		// Only local callers omit it; a generated id keeps the log lines paired.
		id = "local-" + strconv.FormatUint(s.seq.Add(1), 10)
	}
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/invoke":
		s.invoke(w, r, id)
	case r.Method == http.MethodPost && r.URL.Path == "/initialize":
		s.initialize(w, id)
	default:
		writeFailure(w, &ErrorResponse{Type: TypeBadRequest,
			Message: fmt.Sprintf("%s %s is not part of the custom runtime protocol (POST /invoke, POST /initialize)", r.Method, r.URL.Path)})
	}
}

func (s *FCServer) initialize(w http.ResponseWriter, id string) {
	fmt.Fprintf(s.marks, "FC Initialize Start RequestId: %s\n", id)
	defer fmt.Fprintf(s.marks, "FC Initialize End RequestId: %s\n", id)
	if s.initErr != nil {
		s.log.Error("initialize failed", "request_id", id, "error", s.initErr.Error())
		writeFailure(w, initFailure(s.initErr))
		return
	}
	w.Header().Set(HeaderFCStatus, "200")
	w.WriteHeader(http.StatusOK)
}

func (s *FCServer) invoke(w http.ResponseWriter, r *http.Request, id string) {
	fmt.Fprintf(s.marks, "FC Invoke Start RequestId: %s\n", id)
	defer fmt.Fprintf(s.marks, "FC Invoke End RequestId: %s\n", id)
	if s.initErr != nil {
		s.log.Error("invocation refused: function failed to start", "request_id", id, "error", s.initErr.Error())
		writeFailure(w, initFailure(s.initErr))
		return
	}
	payload, err := readPayload(w, r)
	if err != nil {
		s.log.Error("invocation failed", "request_id", id, "error", err.Error())
		writeFailure(w, toErrorResponse(err))
		return
	}
	// The request context is not cancelled by SIGTERM (the server's base
	// context is Background), so shutdown lets this invocation finish.
	ctx := WithInvocation(r.Context(), Invocation{Platform: FC, RequestID: id})
	timeout, err := s.deadline(r)
	if err != nil {
		writeFailure(w, &ErrorResponse{Type: TypeBadRequest, Message: err.Error()})
		return
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	res, err := call(ctx, s.handler, payload)
	if err != nil {
		er := toErrorResponse(err)
		s.log.Error("invocation failed", "request_id", id, "error_type", er.Type, "error", er.Message)
		writeFailure(w, er)
		return
	}
	body, err := json.Marshal(res)
	if err != nil {
		writeFailure(w, &ErrorResponse{Type: TypeResultEncoding, Message: fmt.Sprintf("encoding the result as JSON: %v", err)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(HeaderFCStatus, "200")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// deadline returns the function timeout for this request: the header FC sends
// on every call, else FC_TIMEOUT, else none.
func (s *FCServer) deadline(r *http.Request) (time.Duration, error) {
	v := strings.TrimSpace(r.Header.Get(HeaderFCTimeout))
	if v == "" {
		return s.timeout, nil
	}
	secs, err := strconv.Atoi(v)
	if err != nil || secs < 0 {
		return 0, fmt.Errorf("header %s: %q is not a number of seconds", HeaderFCTimeout, v)
	}
	return time.Duration(secs) * time.Second, nil
}

// readPayload reads the whole event, refusing bodies over MaxPayloadBytes
// with a message that says what the limit is. A body with a
// Content-Length (FC sends one) is read into one buffer of that size:
// growing a buffer as io.ReadAll does copies a 30 MB event about twice and
// leaves as much garbage.
func readPayload(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, MaxPayloadBytes)
	var b []byte
	var err error
	if n := r.ContentLength; n >= 0 && n <= MaxPayloadBytes {
		// One byte more than announced, so the end is seen without a
		// second buffer; the server never reads past Content-Length.
		b = make([]byte, n+1)
		var got int
		got, err = io.ReadFull(body, b)
		b = b[:got]
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			err = nil
		}
	} else {
		b, err = io.ReadAll(body)
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, fmt.Errorf("%w: the event body exceeds %d MiB (Function Compute's synchronous invocation limit)",
			ErrPayloadTooLarge, MaxPayloadBytes>>20)
	case err != nil:
		return nil, fmt.Errorf("reading the event body: %w", err)
	}
	return b, nil
}

func initFailure(err error) *ErrorResponse {
	er := toErrorResponse(err)
	if er.Type == TypeFunctionError {
		return &ErrorResponse{Message: er.Message, Type: TypeInitError}
	}
	return er
}

// writeFailure answers the way FC expects a failed custom-runtime call.
func writeFailure(w http.ResponseWriter, er *ErrorResponse) {
	body, _ := json.Marshal(er) // two strings always encode
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set(HeaderFCStatus, "404")
	w.WriteHeader(http.StatusNotFound)
	_, _ = w.Write(body)
}

// ServeFC serves s on ln until ctx is cancelled (SIGTERM), then stops
// accepting and waits up to grace for in-flight invocations to finish.
func ServeFC(ctx context.Context, ln net.Listener, s *FCServer, grace time.Duration) error {
	srv := &http.Server{
		Handler: s,
		// FC sends headers at once; this only stops idle half-open clients.
		ReadHeaderTimeout: 30 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serving the FC custom runtime on %s: %w", ln.Addr(), err)
	case <-ctx.Done():
	}
	// Shutdown closes the listener first and then waits for active
	// connections to go idle, i.e. for the running invocation to write its
	// response; a context already cancelled by the signal would skip the wait.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), grace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if serveErr := <-errc; !errors.Is(serveErr, http.ErrServerClosed) {
		err = errors.Join(err, serveErr)
	}
	if err != nil {
		return fmt.Errorf("shutting down the FC custom runtime: %w", err)
	}
	return nil
}
