// The demo's publisher console: posts one JSON Feed item to the collector's /publish.
const form = document.getElementById('publish');
const result = document.getElementById('result');

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const item = {
    id: data.get('id'),
    title: data.get('title'),
    date_published: new Date().toISOString(),
    language: 'fr',
    _depeche: { urgency: Number(data.get('urgency')) },
  };
  if (data.get('summary')) item.summary = item.content_text = data.get('summary');
  if (data.get('expires')) {
    item._depeche.expires = new Date(Date.now() + Number(data.get('expires')) * 60_000).toISOString();
  }
  if (data.get('withdrawn')) item._depeche.status = 'withdrawn';
  try {
    const response = await fetch('/publish', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${data.get('token')}` },
      body: JSON.stringify(item),
    });
    result.textContent = response.ok ? `Publié : ${item.title}` : `Refusé (${response.status}) : ${await response.text()}`;
  } catch (error) {
    result.textContent = `Échec : ${error.message}`;
  }
});
