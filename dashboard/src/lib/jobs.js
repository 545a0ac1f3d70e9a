// Background jobs (a large import, a report export): poll GET /api/jobs/{id} until the job ends.
import * as api from './api.js'

export const JOB_POLL_MS = 1000

/** Call `onProgress(job)` at each poll; the succeeded job, or the job's problem thrown as an ApiError. */
export async function followJob(job, onProgress) {
  for (;;) {
    onProgress(job)
    if (job.status === 'succeeded') return job
    if (job.status === 'failed') throw new api.ApiError(job.problem.status, job.problem)
    await new Promise((resolve) => setTimeout(resolve, JOB_POLL_MS))
    job = await api.get(`/api/jobs/${encodeURIComponent(job.id)}`)
  }
}
