// jianxin web: the little script the pages use. Everything works without it except
// the case replay slider; the server is the authority for every rule.
'use strict';

// The case replay: show the state as of the slider's step, grey the later steps.
function setupReplay() {
  const slider = document.getElementById('step-slider');
  if (!slider) return;
  const label = document.getElementById('slider-label');
  const show = () => {
    const k = Number(slider.value);
    document.querySelectorAll('.step-state').forEach((p) => { p.hidden = Number(p.dataset.step) !== k; });
    document.querySelectorAll('tr.step-row').forEach((r) => { r.classList.toggle('future', Number(r.dataset.step) > k); });
    document.querySelectorAll('#case-timeline circle.step').forEach((c) => { c.classList.toggle('future', Number(c.dataset.step) > k); });
    if (label) label.textContent = k + '/' + slider.max;
  };
  slider.addEventListener('input', show);
  slider.addEventListener('change', show);
  show();
}

// The result form: the API's content rules checked before sending, so that the usual
// mistakes are named at once (the API checks them again, and the rest).
function setupResultForm() {
  const form = document.getElementById('result-form');
  if (!form) return;
  const hint = document.getElementById('client-check');
  const zh = document.documentElement.lang !== 'en';
  form.addEventListener('submit', (e) => {
    const problems = [];
    const members = form.querySelectorAll('input[name=members]:checked').length;
    if (members < 2) problems.push(zh ? '到场检查人员不少于两人' : 'at least 2 inspectors present');
    const category = form.category.value;
    const pending = form.querySelectorAll('input[name=pending]:checked').length;
    if (category === 'pending_follow_up' && pending === 0) problems.push(zh ? '请选择待后续处理的情形' : 'say what is pending');
    if (category !== 'pending_follow_up' && pending > 0) problems.push(zh ? '只有“发现问题待后续处理”才填写待处理情形' : 'pending only with pending_follow_up');
    const notify = form.notify.value.trim();
    if (form.follow_up.value === 'notify_department' && !notify) problems.push(zh ? '请填写告知部门' : 'name the department notified');
    if (form.follow_up.value !== 'notify_department' && notify) problems.push(zh ? '只有“告知其他部门”才填写告知部门' : 'notify only with notify_department');
    if (!form.inspection_date.value) problems.push(zh ? '请填写检查日期' : 'the inspection date is required');
    const sha = form.evidence_sha256.value.trim();
    if (sha && !/^[0-9a-f]{64}$/.test(sha)) problems.push(zh ? '证据 SHA-256 须为 64 位小写十六进制' : 'evidence SHA-256: 64 lower-case hex digits');
    if (problems.length) {
      e.preventDefault();
      hint.textContent = problems.join('；');
      hint.className = 'error';
    }
  });
}

document.addEventListener('DOMContentLoaded', () => { setupReplay(); setupResultForm(); });
