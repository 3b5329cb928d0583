-- A database written by the collector of commit d59368f (schema version 4), dumped by
-- make-fixtures.sh (which says what was done to it). Loaded by tests/upgrade.rs.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: buckets; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.buckets (
    item text NOT NULL,
    event text NOT NULL,
    span bigint NOT NULL,
    start bigint NOT NULL,
    origin text NOT NULL,
    shard smallint NOT NULL,
    n bigint NOT NULL
);


--
-- Name: counts; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.counts (
    item text NOT NULL,
    event text NOT NULL,
    shard smallint NOT NULL,
    n bigint NOT NULL
);


--
-- Name: dedupe; Type: TABLE; Schema: public; Owner: -
--

CREATE UNLOGGED TABLE public.dedupe (
    visitor bytea NOT NULL,
    item text NOT NULL,
    event text NOT NULL,
    expires bigint NOT NULL
);


--
-- Name: feed_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.feed_version (
    version bigint NOT NULL
);


--
-- Name: meta; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.meta (
    key text NOT NULL,
    value bytea NOT NULL
);


--
-- Name: published; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.published (
    id text NOT NULL,
    item text NOT NULL,
    first_published bigint NOT NULL,
    seq bigint NOT NULL
);


--
-- Name: published_seq_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.published_seq_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: published_seq_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.published_seq_seq OWNED BY public.published.seq;


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    version bigint NOT NULL
);


--
-- Name: sources; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sources (
    source text NOT NULL,
    items text NOT NULL
);


--
-- Name: published seq; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.published ALTER COLUMN seq SET DEFAULT nextval('public.published_seq_seq'::regclass);


--
-- Data for Name: buckets; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300580000, 'http://127.0.0.1:18431', 3, 4);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300580000, 'http://127.0.0.1:18431', 4, 4);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300580000, 'http://127.0.0.1:18431', 1, 5);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300580000, 'http://127.0.0.1:18431', 2, 5);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300640000, 'http://127.0.0.1:18431', 3, 1);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300640000, 'http://127.0.0.1:18431', 4, 1);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300640000, 'https://partenaire.example', 1, 5);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300640000, 'https://partenaire.example', 2, 5);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300640000, 'https://partenaire.example', 3, 5);
INSERT INTO public.buckets VALUES ('kangaba', 'view', 60000, 1796300640000, 'https://partenaire.example', 4, 5);
INSERT INTO public.buckets VALUES ('kangaba', 'read', 60000, 1796300640000, 'http://127.0.0.1:18431', 4, 1);
INSERT INTO public.buckets VALUES ('kangaba', 'read', 60000, 1796300640000, 'http://127.0.0.1:18431', 1, 2);
INSERT INTO public.buckets VALUES ('kangaba', 'read', 60000, 1796300640000, 'http://127.0.0.1:18431', 2, 2);
INSERT INTO public.buckets VALUES ('kangaba', 'read', 60000, 1796300640000, 'http://127.0.0.1:18431', 3, 2);
INSERT INTO public.buckets VALUES ('flash', 'view', 60000, 1796300640000, 'http://127.0.0.1:18431', 4, 3);
INSERT INTO public.buckets VALUES ('flash', 'view', 60000, 1796300640000, 'http://127.0.0.1:18431', 1, 3);
INSERT INTO public.buckets VALUES ('flash', 'view', 60000, 1796300640000, 'http://127.0.0.1:18431', 2, 3);
INSERT INTO public.buckets VALUES ('flash', 'view', 60000, 1796300640000, 'http://127.0.0.1:18431', 3, 3);


--
-- Data for Name: counts; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.counts VALUES ('kangaba', 'view', 1, 10);
INSERT INTO public.counts VALUES ('kangaba', 'view', 2, 10);
INSERT INTO public.counts VALUES ('kangaba', 'view', 3, 10);
INSERT INTO public.counts VALUES ('kangaba', 'view', 4, 10);
INSERT INTO public.counts VALUES ('kangaba', 'read', 4, 1);
INSERT INTO public.counts VALUES ('kangaba', 'read', 1, 2);
INSERT INTO public.counts VALUES ('kangaba', 'read', 2, 2);
INSERT INTO public.counts VALUES ('kangaba', 'read', 3, 2);
INSERT INTO public.counts VALUES ('flash', 'view', 4, 3);
INSERT INTO public.counts VALUES ('flash', 'view', 1, 3);
INSERT INTO public.counts VALUES ('flash', 'view', 2, 3);
INSERT INTO public.counts VALUES ('flash', 'view', 3, 3);


--
-- Data for Name: dedupe; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.dedupe VALUES ('\xfbc106ced84c2bf16cf8f0bbffde4014', 'kangaba', 'view', 1796302438391);
INSERT INTO public.dedupe VALUES ('\x0e86738c9172b5c4495000126ff926ff', 'kangaba', 'view', 1796302438466);
INSERT INTO public.dedupe VALUES ('\xd05a5e179324d445d95aaa66b40502cb', 'kangaba', 'view', 1796302438509);
INSERT INTO public.dedupe VALUES ('\x4a9455b12e15f35fdaf4307cbec51471', 'kangaba', 'view', 1796302438566);
INSERT INTO public.dedupe VALUES ('\x1127be7a450702df1704967d659a951d', 'kangaba', 'view', 1796302438631);
INSERT INTO public.dedupe VALUES ('\x70734730e9707cf9b7356ad6373caaf7', 'kangaba', 'view', 1796302438679);
INSERT INTO public.dedupe VALUES ('\x3f2419fb0c4f52fc95cce9565a9a2ec9', 'kangaba', 'view', 1796302438790);
INSERT INTO public.dedupe VALUES ('\x1283f70af6d46add0801597525b346ec', 'kangaba', 'view', 1796302438860);
INSERT INTO public.dedupe VALUES ('\xa6a13430c1b142f94a3fe1752e318d52', 'kangaba', 'view', 1796302439145);
INSERT INTO public.dedupe VALUES ('\xeac08f2231538878229695e576425598', 'kangaba', 'view', 1796302439431);
INSERT INTO public.dedupe VALUES ('\x1e1dd26fbc255babb3b8f4ad546e6417', 'kangaba', 'view', 1796302439495);
INSERT INTO public.dedupe VALUES ('\x4096fa8cc893b0da1cccc068abbc5dd3', 'kangaba', 'view', 1796302439603);
INSERT INTO public.dedupe VALUES ('\xba60360434e0f5c5b3079cb307f05fe5', 'kangaba', 'view', 1796302439688);
INSERT INTO public.dedupe VALUES ('\x153ef10cef05a69387490fb6ebcbdd0c', 'kangaba', 'view', 1796302439755);
INSERT INTO public.dedupe VALUES ('\x95e48d48fffeedd7b62948c01ab03075', 'kangaba', 'view', 1796302439817);
INSERT INTO public.dedupe VALUES ('\x5e278705f8edd007755a160ebb8f5028', 'kangaba', 'view', 1796302439878);
INSERT INTO public.dedupe VALUES ('\xd6cec6696652a0a1edb3b087fe7a0d94', 'kangaba', 'view', 1796302439915);
INSERT INTO public.dedupe VALUES ('\xce808a0e84ddd505e7b39bd9848107f5', 'kangaba', 'view', 1796302439953);
INSERT INTO public.dedupe VALUES ('\xa2bac47164eb86dfeadcc248b08f6427', 'kangaba', 'view', 1796302440040);
INSERT INTO public.dedupe VALUES ('\x5bd585bd365e50a66d77da81481d2929', 'kangaba', 'view', 1796302440086);
INSERT INTO public.dedupe VALUES ('\xd621727f52a39daf56ffa0cc7e3a1379', 'kangaba', 'view', 1796302440137);
INSERT INTO public.dedupe VALUES ('\x47ab0ff9740733cebcb1cb82064105af', 'kangaba', 'view', 1796302440214);
INSERT INTO public.dedupe VALUES ('\x24f2ed7aec116c7592f20454f58dd7ec', 'kangaba', 'view', 1796302440303);
INSERT INTO public.dedupe VALUES ('\x1884d869136374bbeabf541745b33b39', 'kangaba', 'view', 1796302440375);
INSERT INTO public.dedupe VALUES ('\xe666b22388ec5b35beadb7f052d029ef', 'kangaba', 'view', 1796302440414);
INSERT INTO public.dedupe VALUES ('\x095db942c2be260aea84091130d8a0a5', 'kangaba', 'view', 1796302440483);
INSERT INTO public.dedupe VALUES ('\xd4aa2abdf25ccc55001aebc8181bbc7a', 'kangaba', 'view', 1796302440501);
INSERT INTO public.dedupe VALUES ('\x9ef87b0231ee916f4fcabfe2bc6c95f9', 'kangaba', 'view', 1796302440539);
INSERT INTO public.dedupe VALUES ('\x66b4f92622d54ab5be9c7ca532084a25', 'kangaba', 'view', 1796302440565);
INSERT INTO public.dedupe VALUES ('\xb502369a1fc196336fb718cee97583c8', 'kangaba', 'view', 1796302440666);
INSERT INTO public.dedupe VALUES ('\xf289f7649157143b7952fd6e3a92d5cc', 'kangaba', 'view', 1796302440787);
INSERT INTO public.dedupe VALUES ('\x94072e2ee18d0e5a9cee655afcd65e08', 'kangaba', 'view', 1796302440898);
INSERT INTO public.dedupe VALUES ('\x6b58f82609a86e6e48898712f838262e', 'kangaba', 'view', 1796302440962);
INSERT INTO public.dedupe VALUES ('\xba928944acfadf2fd96b2dde105061fe', 'kangaba', 'view', 1796302441051);
INSERT INTO public.dedupe VALUES ('\xbf8dc41b7ee5f2b9e27434700bdc8322', 'kangaba', 'view', 1796302441166);
INSERT INTO public.dedupe VALUES ('\xa6198945efeaecfe608ca4eb787304e8', 'kangaba', 'view', 1796302441246);
INSERT INTO public.dedupe VALUES ('\x59dfce87ead89fcb153a881939a11681', 'kangaba', 'view', 1796302441319);
INSERT INTO public.dedupe VALUES ('\xae20e9ca4e6ea2d75e437b429f508af5', 'kangaba', 'view', 1796302441399);
INSERT INTO public.dedupe VALUES ('\x6b548f319dfcd53f30e7aaafddad08b8', 'kangaba', 'view', 1796302441439);
INSERT INTO public.dedupe VALUES ('\x54e565b4a6dde0019c1e9c86de21eaa7', 'kangaba', 'view', 1796302441486);
INSERT INTO public.dedupe VALUES ('\xfbc106ced84c2bf16cf8f0bbffde4014', 'kangaba', 'read', 1796302441506);
INSERT INTO public.dedupe VALUES ('\x0e86738c9172b5c4495000126ff926ff', 'kangaba', 'read', 1796302441563);
INSERT INTO public.dedupe VALUES ('\xd05a5e179324d445d95aaa66b40502cb', 'kangaba', 'read', 1796302441611);
INSERT INTO public.dedupe VALUES ('\x4a9455b12e15f35fdaf4307cbec51471', 'kangaba', 'read', 1796302441638);
INSERT INTO public.dedupe VALUES ('\x1127be7a450702df1704967d659a951d', 'kangaba', 'read', 1796302441694);
INSERT INTO public.dedupe VALUES ('\x70734730e9707cf9b7356ad6373caaf7', 'kangaba', 'read', 1796302441710);
INSERT INTO public.dedupe VALUES ('\x3f2419fb0c4f52fc95cce9565a9a2ec9', 'kangaba', 'read', 1796302441762);
INSERT INTO public.dedupe VALUES ('\xfbc106ced84c2bf16cf8f0bbffde4014', 'flash', 'view', 1796302441831);
INSERT INTO public.dedupe VALUES ('\x0e86738c9172b5c4495000126ff926ff', 'flash', 'view', 1796302441898);
INSERT INTO public.dedupe VALUES ('\xd05a5e179324d445d95aaa66b40502cb', 'flash', 'view', 1796302441931);
INSERT INTO public.dedupe VALUES ('\x4a9455b12e15f35fdaf4307cbec51471', 'flash', 'view', 1796302442011);
INSERT INTO public.dedupe VALUES ('\x1127be7a450702df1704967d659a951d', 'flash', 'view', 1796302442040);
INSERT INTO public.dedupe VALUES ('\x70734730e9707cf9b7356ad6373caaf7', 'flash', 'view', 1796302442087);
INSERT INTO public.dedupe VALUES ('\x3f2419fb0c4f52fc95cce9565a9a2ec9', 'flash', 'view', 1796302442107);
INSERT INTO public.dedupe VALUES ('\x1283f70af6d46add0801597525b346ec', 'flash', 'view', 1796302442121);
INSERT INTO public.dedupe VALUES ('\xa6a13430c1b142f94a3fe1752e318d52', 'flash', 'view', 1796302442153);
INSERT INTO public.dedupe VALUES ('\xeac08f2231538878229695e576425598', 'flash', 'view', 1796302442173);
INSERT INTO public.dedupe VALUES ('\x1e1dd26fbc255babb3b8f4ad546e6417', 'flash', 'view', 1796302442185);
INSERT INTO public.dedupe VALUES ('\x4096fa8cc893b0da1cccc068abbc5dd3', 'flash', 'view', 1796302442199);


--
-- Data for Name: feed_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.feed_version VALUES (4);


--
-- Data for Name: meta; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.meta VALUES ('salt-secret', '\x0bf45e00e57467f039112a78e3a40f040208b805057f68a468a7d438a68f571f');


--
-- Data for Name: published; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.published VALUES ('correction', '{"id":"correction","title":"Correction : le bilan est de deux blessés"}', 1796300638203, 2);
INSERT INTO public.published VALUES ('flash', '{"_depeche":{"urgency":1},"id":"flash","title":"Alerte : l’attaque de Kangaba est terminée"}', 1796300638051, 1);


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_version VALUES (4);


--
-- Data for Name: sources; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sources VALUES ('source.rss', '[{"_depeche":{"urgency":1},"date_published":"2026-12-02T07:30:00Z","id":"radio-sahel-mopti-crue","summary":"Les véhicules sont déviés par Sévaré.","title":"Mopti : la crue du Niger coupe la route nationale 16","url":"https://radio-sahel.example/2026/12/02/mopti-crue"},{"date_published":"2026-12-02T06:00:00Z","id":"radio-sahel-segou-festival","summary":"Les organisateurs annoncent une nouvelle date.","title":"Ségou : le festival sur le fleuve reporté","url":"https://radio-sahel.example/2026/12/02/segou-festival"}]');


--
-- Name: published_seq_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.published_seq_seq', 3, true);


--
-- Name: buckets buckets_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.buckets
    ADD CONSTRAINT buckets_pkey PRIMARY KEY (item, event, span, start, origin, shard);


--
-- Name: counts counts_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.counts
    ADD CONSTRAINT counts_pkey PRIMARY KEY (item, event, shard);


--
-- Name: dedupe dedupe_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.dedupe
    ADD CONSTRAINT dedupe_pkey PRIMARY KEY (visitor, item, event);


--
-- Name: meta meta_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.meta
    ADD CONSTRAINT meta_pkey PRIMARY KEY (key);


--
-- Name: published published_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.published
    ADD CONSTRAINT published_pkey PRIMARY KEY (id);


--
-- Name: sources sources_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sources
    ADD CONSTRAINT sources_pkey PRIMARY KEY (source);


--
-- PostgreSQL database dump complete
--


