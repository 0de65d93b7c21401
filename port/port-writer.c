/*
 * port-writer.c - the one thread that writes the port database: group commit of checked
 * messages, and publishing the scenario's receipts when they fall due.
 *
 * The threads that receive messages check them (cg_port_job_check) and queue the jobs here.
 * The writer takes everything queued (at most commit_max jobs); while other messages are still
 * being checked it waits up to commit_wait_ms for them, so messages arriving together share
 * one transaction and one fsync. After the commit every job has its answer and its connection
 * is resumed (or its waiting caller woken). Between groups the writer publishes due receipts.
 * Without the writer thread (unit tests, shutting down) callers store their jobs themselves;
 * p->wlock keeps the connection to one user at a time either way. Failures are logged; a job
 * always ends with an answer (3001 when it could not be stored).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>

#include "core/log.h"
#include "port/port-int.h"

#define IDLE_MS 250
#define JOBS_MAX 1024

static void deadline_in(struct timespec *ts, int64_t ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* Publish the receipts due now (the writer holds no lock); false when that failed. A failure (a
 * full disk) comes again at every tick: it is logged once a minute with the count of the others. */
static bool release_due(struct cg_port *p)
{
    struct cg_err err;
    char note[96];
    size_t n = 0;
    long held = 0;

    cg_err_clear(&err);
    if (cg_port_release_due(p, cg_port_now_ms(), &n, &err) == CG_OK)
        return true;
    if (cg_port_log_allow_own(p, CG_PORT_OWN_PUBLISH, cg_port_now_ms(), &held)) {
        cg_port_log_held(held, note, sizeof(note));
        cg_error("port: publishing receipts: %s%s", err.msg, note);
    }
    return false;
}

/* Milliseconds until the next planned receipt (IDLE_MS at most; 0 when one is due). */
static int64_t until_due(struct cg_port *p)
{
    int64_t due;
    int64_t now;

    pthread_mutex_lock(&p->wlock);
    due = cg_port_next_due(p);
    pthread_mutex_unlock(&p->wlock);
    if (due < 0)
        return IDLE_MS;
    now = cg_port_now_ms();
    if (due <= now)
        return 0;
    return due - now < IDLE_MS ? due - now : IDLE_MS;
}

static void *writer_main(void *arg)
{
    struct cg_port *p = arg;
    struct cg_port_job **jobs = p->wjobs;
    void **conns = p->wconns;
    struct timespec ts;
    int64_t wait_ms;
    size_t max = (size_t)p->commit_max;
    size_t n;
    size_t i;

    for (;;) {
        wait_ms = until_due(p);
        /* Receipts that could not be published are still due: they are tried again after a
         * tick, not at once (which took a CPU core while the disk was full). */
        if (wait_ms == 0 && !release_due(p))
            wait_ms = IDLE_MS;
        pthread_mutex_lock(&p->qlock);
        if (p->qlen == 0 && !p->writer_stop && wait_ms > 0) {
            deadline_in(&ts, wait_ms);
            while (p->qlen == 0 && !p->writer_stop &&
                   pthread_cond_timedwait(&p->qcond, &p->qlock, &ts) != ETIMEDOUT)
                ;
        }
        if (p->qlen == 0 && p->writer_stop)
            break;
        /* Messages still being checked join this group if they come within commit_wait_ms. */
        if (p->qlen > 0 && p->qlen < max && p->checking > 0 && p->commit_wait_ms > 0) {
            deadline_in(&ts, p->commit_wait_ms);
            while (p->qlen < max && p->checking > 0 &&
                   pthread_cond_timedwait(&p->qcond, &p->qlock, &ts) != ETIMEDOUT)
                ;
        }
        for (n = 0; n < max && p->qhead != NULL; n++) {
            jobs[n] = p->qhead;
            p->qhead = p->qhead->next;
            p->qlen--;
        }
        if (p->qhead == NULL)
            p->qtail = NULL;
        pthread_mutex_unlock(&p->qlock);
        if (n == 0)
            continue;
        cg_port_jobs_store(p, jobs, n);
        /* A waiting caller may free its job as soon as it is done: take the connections first;
         * a suspended connection's job lives until that connection is resumed. */
        pthread_mutex_lock(&p->qlock);
        for (i = 0; i < n; i++) {
            conns[i] = jobs[i]->conn;
            jobs[i]->done = true;
        }
        pthread_cond_broadcast(&p->dcond);
        pthread_mutex_unlock(&p->qlock);
        for (i = 0; i < n; i++)
            if (conns[i] != NULL)
                MHD_resume_connection(conns[i]);
    }
    p->writer_running = false;
    pthread_cond_broadcast(&p->dcond);
    pthread_mutex_unlock(&p->qlock);
    return NULL;
}

int cg_port_writer_start(struct cg_port *p, struct cg_err *err)
{
    int r;

    if (p->commit_max < 1 || p->commit_max > JOBS_MAX)
        p->commit_max = JOBS_MAX;
    if (p->wjobs == NULL)
        p->wjobs = calloc((size_t)p->commit_max, sizeof(*p->wjobs));
    if (p->wconns == NULL)
        p->wconns = calloc((size_t)p->commit_max, sizeof(*p->wconns));
    if (p->wjobs == NULL || p->wconns == NULL)
        return CG_ERR_SET(err, CG_ENOMEM, "out of memory");
    pthread_mutex_lock(&p->qlock);
    p->writer_stop = false;
    p->writer_running = true;
    pthread_mutex_unlock(&p->qlock);
    r = pthread_create(&p->writer, NULL, writer_main, p);
    if (r != 0) {
        pthread_mutex_lock(&p->qlock);
        p->writer_running = false;
        pthread_mutex_unlock(&p->qlock);
        return CG_ERR_SET(err, CG_EIO, "cannot start the writer thread: %s", strerror(r));
    }
    /* Named so that `top -H`, `ps -L` and perf tell it from the request threads. */
    pthread_setname_np(p->writer, "port-writer");
    p->writer_joinable = true;
    return CG_OK;
}

void cg_port_writer_stop(struct cg_port *p)
{
    if (!p->writer_joinable)
        return;
    pthread_mutex_lock(&p->qlock);
    p->writer_stop = true;
    pthread_cond_broadcast(&p->qcond);
    pthread_mutex_unlock(&p->qlock);
    pthread_join(p->writer, NULL);
    p->writer_joinable = false;
}

void cg_port_writer_busy(struct cg_port *p, int delta)
{
    pthread_mutex_lock(&p->qlock);
    p->checking += delta;
    if (delta < 0)
        pthread_cond_broadcast(&p->qcond);
    pthread_mutex_unlock(&p->qlock);
}

bool cg_port_writer_queue(struct cg_port *p, struct cg_port_job *j, void *conn, bool counted)
{
    bool queued = false;

    pthread_mutex_lock(&p->qlock);
    if (counted)
        p->checking--;
    if (p->writer_running) {
        j->conn = conn;
        j->done = false;
        j->next = NULL;
        if (p->qtail != NULL)
            p->qtail->next = j;
        else
            p->qhead = j;
        p->qtail = j;
        p->qlen++;
        queued = true;
        if (conn == NULL)
            while (!j->done && p->writer_running)
                pthread_cond_wait(&p->dcond, &p->qlock);
    }
    pthread_cond_broadcast(&p->qcond);
    pthread_mutex_unlock(&p->qlock);
    return queued;
}
